// highlight.js's package exports carry types only for its main entry; the page imports the core and
// single languages (to bundle a chosen set, not all 190), typed as the main entry's.
declare module "highlight.js/lib/core" {
  import hljs from "highlight.js";
  export default hljs;
}
declare module "highlight.js/lib/languages/*" {
  import type { LanguageFn } from "highlight.js";
  const language: LanguageFn;
  export default language;
}
