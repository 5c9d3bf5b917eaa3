-- wrk script for Tests/Soak/soak.py: GET /api/trakt/last on every connection, optionally paced
-- (SOAK_DELAY_MS via wrk's argument list), counting statuses, stale bodies and non-JSON answers.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    delay_ms = tonumber(args[1] or "0") or 0
    statuses = {}
    stale = 0
    not_json = 0
    samples = {}
end

function delay()
    return delay_ms
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    local content_type = headers["Content-Type"] or headers["content-type"] or ""
    if status ~= 304 and (content_type:sub(1, 16) ~= "application/json" or body:sub(1, 1) ~= "{") then
        not_json = not_json + 1
        if #samples < 3 then
            table.insert(samples, status .. " " .. content_type .. " " .. body:sub(1, 80):gsub('[%c"\\]', "?"))
        end
    end
    if body:find('"stale":true', 1, true) then
        stale = stale + 1
    end
end

function done(summary, latency, requests)
    local total_statuses = {}
    local total_stale, total_not_json, all_samples = 0, 0, {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            total_statuses[status] = (total_statuses[status] or 0) + count
        end
        total_stale = total_stale + thread:get("stale")
        total_not_json = total_not_json + thread:get("not_json")
        for _, sample in ipairs(thread:get("samples")) do
            table.insert(all_samples, '"' .. sample .. '"')
        end
    end
    local parts = {}
    for status, count in pairs(total_statuses) do
        table.insert(parts, string.format('"%d":%d', status, count))
    end
    local errors = summary.errors
    io.write(string.format(
        'SOAK_JSON {"requests":%d,"duration_us":%d,"statuses":{%s},"stale":%d,"not_json":%d,' ..
        '"samples":[%s],"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
        '"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
        summary.requests, summary.duration, table.concat(parts, ","), total_stale, total_not_json,
        table.concat(all_samples, ","), errors.connect, errors.read, errors.write, errors.status,
        errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
