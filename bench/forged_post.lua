-- wrk script for bench/connection_guard_server.ts: one POST whose signature does not
-- verify, so every request costs a full HMAC-SHA256 verify and nothing else.
wrk.method = "POST"
wrk.body = '{"id":"evt_1","type":"x"}'
wrk.headers["content-type"] = "application/json"
wrk.headers["x-timestamp"] = "1700000000"
wrk.headers["x-signature"] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
