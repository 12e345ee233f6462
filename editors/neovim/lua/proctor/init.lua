-- Helpers for the Proctor language server (Neovim 0.8+).
local M = {}

--- Name of the LSP client these helpers act on.
M.client_name = 'proctor'

--- Code action kind that applies every safe fix in a file.
M.fix_all_kind = 'source.fixAll.proctor'

--- Config files the server reads; writing one re-checks open files.
M.config_files = { 'proctor.toml', 'pyproject.toml' }

local has_011 = vim.fn.has('nvim-0.11') == 1

local function get_clients(filter)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  return vim.lsp.get_active_clients(filter) -- Neovim 0.8 and 0.9
end

-- Client methods are called with ':' from 0.11 on, with '.' before.
local function call(client, method, ...)
  if has_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function notify(msg, level)
  vim.notify('proctor: ' .. msg, level or vim.log.levels.WARN)
end

local function request_sync(client, method, params, timeout_ms, bufnr)
  local response, err = call(client, 'request_sync', method, params, timeout_ms, bufnr)
  if not response then
    notify(('%s failed: %s'):format(method, err or 'no response'))
    return nil
  end
  if response.err then
    notify(('%s failed: %s'):format(method, response.err.message or vim.inspect(response.err)))
    return nil
  end
  return response.result
end

local function is_kind(kind, wanted)
  return kind == wanted or (kind ~= nil and vim.startswith(kind, wanted .. '.'))
end

local function apply_action(client, action, bufnr, timeout_ms)
  local provider = client.server_capabilities.codeActionProvider
  local can_resolve = type(provider) == 'table' and provider.resolveProvider
  if not action.edit and can_resolve then
    action = request_sync(client, 'codeAction/resolve', action, timeout_ms, bufnr) or action
  end
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  local command = action.command
  if type(command) == 'table' then
    request_sync(client, 'workspace/executeCommand', {
      command = command.command,
      arguments = command.arguments,
    }, timeout_ms, bufnr)
  end
end

--- Apply all safe fixes (the `source.fixAll.proctor` code action) to a buffer.
--- Synchronous, so it can run from BufWritePre.
---@param opts? { bufnr?: integer, kind?: string, timeout_ms?: integer }
---@return boolean applied whether a server returned the action
function M.fix_all(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or 0
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local kind = opts.kind or M.fix_all_kind
  local timeout_ms = opts.timeout_ms or 5000
  local clients = get_clients({ bufnr = bufnr, name = M.client_name })
  if #clients == 0 then
    notify('no Proctor language server is attached to this buffer')
    return false
  end
  local applied = false
  for _, client in ipairs(clients) do
    local last = math.max(vim.api.nvim_buf_line_count(bufnr) - 1, 0)
    local last_line = vim.api.nvim_buf_get_lines(bufnr, last, last + 1, false)[1] or ''
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      -- A character past the end of a line means the end of that line.
      range = {
        start = { line = 0, character = 0 },
        ['end'] = { line = last, character = #last_line },
      },
      context = { only = { kind }, diagnostics = {}, triggerKind = 1 },
    }
    local actions = request_sync(client, 'textDocument/codeAction', params, timeout_ms, bufnr)
    for _, action in ipairs(actions or {}) do
      if is_kind(action.kind, kind) and not action.disabled then
        apply_action(client, action, bufnr, timeout_ms)
        applied = true
      end
    end
  end
  return applied
end

--- Tell running Proctor servers that a config file changed, then have
--- pull-diagnostics servers re-check the buffers they are attached to.
---@param path string absolute path of the config file
---@param created? boolean the file did not exist before
function M.config_changed(path, created)
  local uri = vim.uri_from_fname(path)
  local change_type = created and 1 or 2 -- FileChangeType Created / Changed
  for _, client in ipairs(get_clients({ name = M.client_name })) do
    call(client, 'notify', 'workspace/didChangeWatchedFiles', {
      changes = { { uri = uri, type = change_type } },
    })
    -- Neovim pulls diagnostics only when a buffer changes, and 0.11 cannot
    -- be asked by the server to pull again: pull now.
    local pull = client.server_capabilities.diagnosticProvider
      and vim.lsp.handlers['textDocument/diagnostic']
    if pull then
      for bufnr in pairs(client.attached_buffers or {}) do
        if vim.api.nvim_buf_is_loaded(bufnr) then
          call(client, 'request', 'textDocument/diagnostic', {
            textDocument = { uri = vim.uri_from_bufnr(bufnr) },
          }, nil, bufnr)
        end
      end
    end
  end
end

return M
