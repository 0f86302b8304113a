import type { z } from "zod";

/** One entry of a FastAPI/pydantic-style 422 `detail` list. */
export interface ValidationDetail {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** Validates a parsed body; on failure returns `detail` entries shaped like FastAPI's. */
export function validateBody<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
): { ok: true; value: z.infer<Schema> } | { ok: false; detail: ValidationDetail[] } {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, detail: result.error.issues.map((issue) => toDetail(issue, body)) };
}

function toDetail(issue: z.core.$ZodIssue, body: unknown): ValidationDetail {
  const loc = ["body", ...issue.path.map((part) => (typeof part === "number" ? part : String(part)))];
  const input = issue.input;
  switch (issue.code) {
    case "invalid_type":
      if (issue.path.length === 0) {
        return { type: "model_attributes_type", loc, msg: "Input should be a valid dictionary or object to extract fields from", input };
      }
      if (input === undefined) return { type: "missing", loc, msg: "Field required", input: body };
      if (issue.expected === "string") return { type: "string_type", loc, msg: "Input should be a valid string", input };
      return { type: `${issue.expected}_type`, loc, msg: `Input should be a valid ${issue.expected}`, input };
    case "too_small":
      if (issue.origin === "string") {
        const min = Number(issue.minimum);
        return { type: "string_too_short", loc, msg: `String should have at least ${min} character${min === 1 ? "" : "s"}`, input, ctx: { min_length: min } };
      }
      break;
    case "too_big":
      if (issue.origin === "string") {
        const max = Number(issue.maximum);
        return { type: "string_too_long", loc, msg: `String should have at most ${max} characters`, input, ctx: { max_length: max } };
      }
      break;
    default:
      break;
  }
  return { type: "value_error", loc, msg: issue.message, input };
}
