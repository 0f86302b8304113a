// Not part of what an app writes: what Next hands a route handler (its URL and the headers the
// same-origin guard reads), which the test prints when a guard assertion fails.
export function GET(request) {
  const { headers } = request;
  return Response.json({
    url: request.url,
    host: headers.get("host"),
    forwardedHost: headers.get("x-forwarded-host"),
    forwardedProto: headers.get("x-forwarded-proto"),
  });
}
