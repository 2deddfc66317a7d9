-- wrk: four requests in each write, on each connection; a thread stops
-- after BATCHES batches, between two, so none is cut short.
local batches = tonumber(os.getenv("BATCHES"))
local seen = 0

init = function(args)
	req = wrk.format(nil, "/") .. wrk.format(nil, "/unavailable") .. wrk.format(nil, "/api/users/7")
		.. wrk.format(nil, "/nope/9")
end

request = function()
	return req
end

response = function(status, headers, body)
	seen = seen + 1
	if seen == 4 * batches then
		wrk.thread:stop()
	end
end
