-- wrk: the SMS ceiling. POSTs the request dunnd's sms module sends (the
-- generic provider's JSON, captured from a calibration run) to the same
-- gateway simulator. BENCH_SMS_BODY names the file holding the JSON body.
local f = assert(io.open(os.getenv("BENCH_SMS_BODY"), "r"))
wrk.method = "POST"
wrk.path = "/messages"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_SMS_TOKEN")
