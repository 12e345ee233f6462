-- Proctor language server: test smells in Python test code.
--
-- Neovim 0.11+ reads this file when you enable the server:
--
--   vim.lsp.enable('proctor')
--
-- and merges anything you set with vim.lsp.config('proctor', { ... }) on
-- top of it, for example a different command or rule selection:
--
--   vim.lsp.config('proctor', {
--     cmd = { '/path/to/proctor', 'server' },
--     init_options = { select = { 'TQ1', 'TQ301' }, ignore = { 'TQ101' } },
--   })
--
-- init_options go to the server once, in `initialize`; `settings` answer
-- the server's workspace/configuration requests.

---@type vim.lsp.Config
return {
  cmd = { 'proctor', 'server' },
  filetypes = { 'python' },
  -- Searched upwards from the file; earlier entries win.
  root_markers = { 'proctor.toml', 'pyproject.toml', 'setup.cfg', 'setup.py', '.git' },
  settings = {},
}
