-- Commands and autocommands for the Proctor language server.
-- Works with Neovim 0.8+, however the server was configured (vim.lsp.config,
-- nvim-lspconfig or vim.lsp.start), as long as the client is named 'proctor'.

if vim.g.loaded_proctor then
  return
end
vim.g.loaded_proctor = true

vim.api.nvim_create_user_command('ProctorFixAll', function()
  require('proctor').fix_all({ bufnr = vim.api.nvim_get_current_buf() })
end, { desc = 'Proctor: apply all safe fixes to the current buffer' })

-- Neovim does not watch files for language servers on Linux by default, so
-- tell the server when a config file is written from this editor.
local group = vim.api.nvim_create_augroup('proctor', { clear = true })
local created = {}

vim.api.nvim_create_autocmd('BufWritePre', {
  group = group,
  pattern = require('proctor').config_files,
  callback = function(args)
    local stat = (vim.uv or vim.loop).fs_stat(vim.api.nvim_buf_get_name(args.buf))
    created[args.buf] = stat == nil
  end,
})

vim.api.nvim_create_autocmd('BufWritePost', {
  group = group,
  pattern = require('proctor').config_files,
  callback = function(args)
    local path = vim.api.nvim_buf_get_name(args.buf)
    require('proctor').config_changed(path, created[args.buf])
    created[args.buf] = nil
  end,
})
