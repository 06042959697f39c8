-- wrk: the SMS ceiling. POSTs the request dunnd's sms module sends (the
-- generic provider's JSON, captured from a calibration run) to the same
-- gateway simulator. BENCH_SMS_BODY names the file holding the JSON body;
-- with BENCH_SMS_COUNT set, wrk (one thread) stops at that many answers,
-- as the combined ceiling sends the run's SMS and no more: the thread
-- stops, and SIGINT to wrk itself ends the main thread's wait for -d.
local f = assert(io.open(os.getenv("BENCH_SMS_BODY"), "r"))
wrk.method = "POST"
wrk.path = "/messages"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_SMS_TOKEN")

local count = tonumber(os.getenv("BENCH_SMS_COUNT") or "")
if count then
	local ffi = require("ffi")
	ffi.cdef("int kill(int pid, int sig); int getpid(void);")
	local answers = 0
	function response()
		answers = answers + 1
		if answers >= count then
			wrk.thread:stop()
			ffi.C.kill(ffi.C.getpid(), 2)
		end
	end
end
