"""`m2bridge acp`: MiniMax-M2 as an Agent Client Protocol agent on stdio, for editors that host agents
(Zed, the JetBrains IDEs, Neovim's CodeCompanion and avante.nvim, Emacs' agent-shell).

A surface like the language server: it imports the engine and the tools, no other surface imports it, and
the CLI's dispatcher starts it. The package is `acp_agent` because `acp` is the SDK's own import name."""
