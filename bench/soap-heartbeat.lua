-- wrk script: OCPP 1.6 SOAP Heartbeats, each connection a keep-alive station.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/soap+xml; charset=utf-8"
local n = 0
request = function()
  n = n + 1
  local body = '<?xml version="1.0" encoding="UTF-8"?>'
    .. '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:cs="urn://Ocpp/Cs/2015/10/">'
    .. '<s:Header><cs:chargeBoxIdentity>SOAP-BENCH</cs:chargeBoxIdentity><a:Action>/Heartbeat</a:Action>'
    .. '<a:MessageID>urn:uuid:bench-' .. n .. '</a:MessageID></s:Header>'
    .. '<s:Body><cs:heartbeatRequest/></s:Body></s:Envelope>'
  return wrk.format(nil, nil, nil, body)
end
