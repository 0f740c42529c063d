// Preloaded into the reference server with `node --import`: server-everything listens on every interface
// (`app.listen(PORT)`), and the tests use the loopback interface only. Also says which port it got, so the
// harness can start it on port 0 and read the port back instead of guessing a free one.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === "number" || typeof args[0] === "string") && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  this.once("listening", () => {
    const address = this.address();
    if (address && typeof address === "object") {
      console.error(`loopback: listening on ${address.address}:${address.port}`);
    }
  });
  return listen.apply(this, args);
};
