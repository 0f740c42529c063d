-- Drives Neovim 0.7 against `m2bridge lsp`: open a file, send m2/chat, let M2's edit arrive as
-- workspace/applyEdit, save the buffer when the server asks (m2/saveDocuments), write a JSON report, quit.
--
-- Configuration comes from the environment (set by tests/e2e/test_lsp_neovim.py):
--   M2_NVIM_CMD     the server's command line, a JSON list
--   M2_NVIM_ROOT    the workspace root (a git repository)
--   M2_NVIM_FILE    the file to open, inside the root
--   M2_NVIM_PROMPT  the prompt for m2/chat
--   M2_NVIM_REPORT  where to write the JSON report
--   M2_NVIM_TIMEOUT_MS  how long the whole exchange may take before giving up (default 60000)
--
-- Only Neovim 0.7 APIs: vim.lsp.start_client and vim.lsp.buf_attach_client (no vim.lsp.start).

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == '' then
    error('missing environment variable ' .. name)
  end
  return value
end

local report_path = env('M2_NVIM_REPORT')
local timeout_ms = tonumber(os.getenv('M2_NVIM_TIMEOUT_MS') or '') or 60000

local report = {
  approval_asked = false,
  approval_messages = {},
  save_requests = {},
  apply_edits = 0,
  response = vim.NIL,
  response_error = vim.NIL,
  error = vim.NIL,
  lines = vim.NIL,
}
local finished = false

-- Write the report once, then quit: `qa!` on success, `cquit` (non-zero exit) on any error.
local function finish(bufnr, problem)
  if finished then
    return
  end
  finished = true
  if problem ~= nil then
    report.error = tostring(problem)
  end
  if bufnr ~= nil and vim.api.nvim_buf_is_valid(bufnr) then
    report.lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    report.modified = vim.api.nvim_buf_get_option(bufnr, 'modified')
  end
  local file = io.open(report_path, 'w')
  if file then
    file:write(vim.json.encode(report))
    file:close()
  end
  if problem ~= nil then
    vim.cmd('cquit 1')
  else
    vim.cmd('qa!')
  end
end

local function main()
  local cmd = vim.fn.json_decode(env('M2_NVIM_CMD'))
  local root = env('M2_NVIM_ROOT')
  local path = env('M2_NVIM_FILE')
  local prompt = env('M2_NVIM_PROMPT')

  -- No swap file or backup copy, so nothing but the buffer's own text ends up next to the file.
  vim.o.swapfile = false
  vim.o.writebackup = false
  vim.o.backup = false

  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  -- -u NONE turns filetype detection off; the server is told the languageId from this.
  vim.api.nvim_buf_set_option(bufnr, 'filetype', 'python')

  -- Never hang: whatever happens, the report is written and Neovim exits within the limit.
  vim.defer_fn(function()
    finish(bufnr, string.format('timed out after %d ms', timeout_ms))
  end, timeout_ms)

  -- The server only asks us to save when we say we can (capabilities.experimental.m2SaveDocuments).
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.experimental = { m2SaveDocuments = true }

  local handlers = {
    -- 0.7's default asks through inputlist(), which waits forever in a headless Neovim: answer Allow.
    ['window/showMessageRequest'] = function(_, params)
      report.approval_asked = true
      table.insert(report.approval_messages, {
        message = params.message,
        actions = vim.tbl_map(function(a)
          return a.title
        end, params.actions or {}),
      })
      return { title = 'Allow' }
    end,
    -- Count the edits, then let 0.7's own handler apply them (that is what is under test).
    ['workspace/applyEdit'] = function(err, params, ctx, config)
      report.apply_edits = report.apply_edits + 1
      return vim.lsp.handlers['workspace/applyEdit'](err, params, ctx, config)
    end,
    -- Our extension: write each named buffer to disk and say which ones were saved.
    ['m2/saveDocuments'] = function(_, params)
      local saved = {}
      for _, uri in ipairs(params.uris or {}) do
        table.insert(report.save_requests, uri)
        local target = vim.uri_to_bufnr(uri)
        local ok, problem = pcall(vim.api.nvim_buf_call, target, function()
          vim.cmd('write')
        end)
        if ok then
          table.insert(saved, uri)
        else
          report.save_error = tostring(problem)
        end
      end
      return { saved = saved }
    end,
    -- Messages shown to the user would go to stderr in a headless Neovim; keep them in the report.
    ['window/showMessage'] = function(_, params)
      report.shown = report.shown or {}
      table.insert(report.shown, params.message)
    end,
  }

  local client_id = vim.lsp.start_client({
    name = 'm2bridge',
    cmd = cmd,
    cmd_cwd = root,
    root_dir = root,
    capabilities = capabilities,
    handlers = handlers,
    on_exit = function(code, signal)
      if not finished then
        vim.schedule(function()
          finish(bufnr, string.format('the server exited early (code %s, signal %s)', code, signal))
        end)
      end
    end,
  })
  if not client_id then
    error('vim.lsp.start_client did not start the server')
  end
  local client = vim.lsp.get_client_by_id(client_id)

  -- Wait for initialize to finish, so didOpen is sent before m2/chat (the request needs the buffer).
  local ready = vim.wait(timeout_ms, function()
    return client.initialized == true
  end, 20)
  if not ready then
    error('the server did not finish initialize')
  end
  vim.lsp.buf_attach_client(bufnr, client_id)

  client.request('m2/chat', { prompt = prompt }, function(err, result)
    if err ~= nil then
      report.response_error = err
      finish(bufnr, 'm2/chat failed: ' .. vim.inspect(err))
      return
    end
    report.response = result
    finish(bufnr, nil)
  end, bufnr)
end

local ok, problem = pcall(main)
if not ok then
  finish(nil, problem)
end
