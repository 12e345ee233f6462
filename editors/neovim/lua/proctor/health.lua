-- :checkhealth proctor
local M = {}

function M.check()
  local h = vim.health
  -- Neovim 0.8/0.9 name these report_*.
  local start = h.start or h.report_start
  local ok = h.ok or h.report_ok
  local warn = h.warn or h.report_warn
  local error = h.error or h.report_error
  local info = h.info or h.report_info

  start('proctor')
  local version = tostring(vim.version())
  if vim.fn.has('nvim-0.11') == 1 then
    ok(("Neovim %s: vim.lsp.enable('proctor') uses lsp/proctor.lua"):format(version))
  elseif vim.fn.has('nvim-0.8') == 1 then
    warn(
      ('Neovim %s: start the server with vim.lsp.start or nvim-lspconfig'):format(version),
      { 'See editors/neovim/README.md in the Proctor repository.' }
    )
  else
    error(('Neovim %s is too old: Proctor needs 0.8 or newer'):format(version))
  end

  local cmd = { 'proctor', 'server' }
  if vim.fn.has('nvim-0.11') == 1 then
    local config = vim.lsp.config.proctor
    if config and type(config.cmd) == 'table' then
      cmd = config.cmd
    end
  end
  if vim.fn.executable(cmd[1]) == 1 then
    ok(('server command: %s (%s)'):format(table.concat(cmd, ' '), vim.fn.exepath(cmd[1])))
  else
    error(
      ('%s is not an executable'):format(cmd[1]),
      {
        'Install proctor on your PATH, or set its path:',
        "vim.lsp.config('proctor', { cmd = { '/path/to/proctor', 'server' } })",
      }
    )
  end

  local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get_clients({ name = require('proctor').client_name })
  if #clients == 0 then
    info('no proctor client is running; open a Python test file')
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_count(client.attached_buffers or {})
    local root = client.root_dir or '(none)'
    ok(('client %d running, root %s, %d buffer(s)'):format(client.id, root, buffers))
  end
end

return M
