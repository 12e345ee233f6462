-- Drives a headless Neovim through editors/neovim against a language server
-- and writes what it saw to a JSON file; tests/e2e/test_neovim.py asserts on
-- it. Run as:
--   nvim --headless -u NONE -i NONE -n -c 'luafile driver.lua'
-- with PROCTOR_NVIM_PARAMS naming a JSON file of parameters (see
-- test_neovim.py). This script only acts and waits; it never judges.

local params = vim.json.decode(table.concat(vim.fn.readfile(vim.env.PROCTOR_NVIM_PARAMS), '\n'))
local result = { steps = {} }
local timeout = params.timeout_ms

local function step(name)
  table.insert(result.steps, name)
end

local function write_result()
  vim.fn.writefile({ vim.json.encode(result) }, params.out)
end

local function client()
  return vim.lsp.get_clients({ name = 'proctor' })[1]
end

local function diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(out, {
      code = d.code,
      source = d.source,
      message = d.message,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      data = lsp.data,
    })
  end
  table.sort(out, function(a, b)
    return tostring(a.code) < tostring(b.code)
  end)
  return out
end

local function codes(bufnr)
  local out = {}
  for _, d in ipairs(diagnostics(bufnr)) do
    table.insert(out, tostring(d.code))
  end
  return out
end

local function wait_for_codes(bufnr, expected)
  local want = table.concat(expected, ',')
  vim.wait(timeout, function()
    return table.concat(codes(bufnr), ',') == want
  end, 20)
  return codes(bufnr)
end

local function text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
end

local function floats()
  local wins = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      table.insert(wins, win)
    end
  end
  return wins
end

-- Put the buffer back to the original text (a real edit, sent to the server).
local function restore(bufnr, lines, all_codes)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  return wait_for_codes(bufnr, all_codes)
end

local function run()
  step('setup')
  -- A choice between several code actions would wait for a keypress in a
  -- headless Neovim; record the offer and choose nothing instead.
  vim.ui.select = function(items, opts, on_choice)
    result.ui_select = result.ui_select or {}
    local shown = {}
    for _, item in ipairs(items) do
      table.insert(shown, opts.format_item and opts.format_item(item) or tostring(item))
    end
    table.insert(result.ui_select, shown)
    on_choice(nil)
  end
  vim.opt.runtimepath:prepend(params.plugin_dir)
  vim.cmd('filetype on')
  vim.cmd('runtime! plugin/proctor.lua')

  -- The shipped configuration, before the test overrides the command.
  local shipped = vim.lsp.config.proctor
  result.config = {
    cmd = shipped.cmd,
    filetypes = shipped.filetypes,
    root_markers = shipped.root_markers,
  }

  local override = { cmd = params.cmd }
  if params.init_options then
    override.init_options = params.init_options
  end
  vim.lsp.config('proctor', override)
  vim.lsp.enable('proctor')

  step('open')
  vim.cmd.edit(vim.fn.fnameescape(params.file))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype
  vim.wait(timeout, function()
    return client() ~= nil and client().initialized
  end, 20)
  local c = client()
  if not c then
    result.error = 'no proctor client attached'
    return
  end
  result.client = {
    root_dir = c.root_dir,
    offset_encoding = c.offset_encoding,
    pull = c.server_capabilities.diagnosticProvider ~= nil,
    attached = vim.lsp.buf_is_attached(bufnr, c.id),
  }

  step('diagnostics')
  vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  result.diagnostics = diagnostics(bufnr)
  local original = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local all_codes = codes(bufnr)
  if params.only_diagnostics then
    return
  end

  step('hover')
  vim.api.nvim_win_set_cursor(0, { params.hover.line + 1, params.hover.character })
  local before = #floats()
  vim.lsp.buf.hover()
  vim.wait(timeout, function()
    return #floats() > before
  end, 20)
  local wins = floats()
  if #wins > before then
    local float = wins[#wins]
    local float_buf = vim.api.nvim_win_get_buf(float)
    result.hover = {
      lines = vim.api.nvim_buf_get_lines(float_buf, 0, -1, false),
      filetype = vim.bo[float_buf].filetype,
    }
    vim.api.nvim_win_close(float, true)
  end

  for _, action in ipairs(params.actions) do
    step('code action: ' .. action.title)
    vim.api.nvim_win_set_cursor(0, { action.line + 1, action.character })
    local tick = vim.api.nvim_buf_get_changedtick(bufnr)
    vim.lsp.buf.code_action({
      filter = function(a)
        return a.title == action.title
      end,
      apply = true,
    })
    vim.wait(timeout, function()
      return vim.api.nvim_buf_get_changedtick(bufnr) ~= tick
    end, 20)
    local entry = { title = action.title, text = text(bufnr) }
    entry.codes = wait_for_codes(bufnr, action.remaining)
    entry.restored_codes = restore(bufnr, original, all_codes)
    result.actions = result.actions or {}
    table.insert(result.actions, entry)
  end

  step('fix all')
  if params.fix_all.command then
    vim.cmd(params.fix_all.command)
  else
    require('proctor').fix_all({ bufnr = bufnr, kind = params.fix_all.kind })
  end
  result.fix_all = { text = text(bufnr) }
  result.fix_all.codes = wait_for_codes(bufnr, params.fix_all.remaining)
  result.fix_all.restored_codes = restore(bufnr, original, all_codes)

  step('config file')
  vim.cmd.edit(vim.fn.fnameescape(params.config.path))
  local content = params.config.content:gsub('\n$', '')
  vim.api.nvim_buf_set_lines(0, 0, -1, false, vim.split(content, '\n'))
  vim.cmd('silent write')
  vim.cmd.buffer(bufnr)
  result.config_reload = { codes = wait_for_codes(bufnr, params.config.remaining) }

  step('checkhealth')
  vim.cmd('checkhealth proctor')
  result.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  result.error = err
end
result.messages = vim.api.nvim_exec2('messages', { output = true }).output
write_result()
vim.cmd('qall!')
