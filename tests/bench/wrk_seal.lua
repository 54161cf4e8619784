-- wrk script for wrk_seal.sh: POST /v1/seal with the PDF of $WRK_PDF as
-- the multipart field `file` (plus `key` = $WRK_KEY and `level` = B-B),
-- the bearer token in $WRK_TOKEN. The body is built once, here, and sent
-- as it is on every request; no response() callback, so wrk does not
-- copy each reply into Lua (wrk counts the non-2xx replies itself).
local function need(name)
	local v = os.getenv(name)
	if v == nil or v == "" then error(name .. " is not set") end
	return v
end

local f = assert(io.open(need("WRK_PDF"), "rb"))
local pdf = f:read("*a")
f:close()
local b = "esignd-bench-7f3a9c01"
local function field(name, value)
	return "--" .. b .. "\r\nContent-Disposition: form-data; name=\"" ..
		name .. "\"\r\n\r\n" .. value .. "\r\n"
end

wrk.method = "POST"
wrk.path = "/v1/seal"
wrk.body = "--" .. b .. "\r\nContent-Disposition: form-data; name=\"file\"; " ..
	"filename=\"in.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" .. pdf ..
	"\r\n" .. field("key", need("WRK_KEY")) .. field("level", "B-B") ..
	"--" .. b .. "--\r\n"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. b
wrk.headers["Authorization"] = "Bearer " .. need("WRK_TOKEN")
