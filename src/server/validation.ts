/**
 * zod as Fastify's validator: every route declares `schema: { body, params, querystring, response }` with zod
 * schemas (schemas.ts), and handlers get the parsed, typed values through `ZodTypeProvider`. A request that
 * does not match is refused with 400 `WEFT_BAD_REQUEST` naming each offending field.
 */
import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyTypeProvider } from "fastify";
import type { z } from "zod";
import { WeftError } from "../core/errors.js";

/** Types `request.body`/`params`/`query` from the route's zod schemas (`app.withTypeProvider<ZodTypeProvider>()`). */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this["schema"] extends z.ZodType ? z.output<this["schema"]> : unknown;
  serializer: this["schema"] extends z.ZodType ? z.input<this["schema"]> : unknown;
}

export interface FieldProblem {
  /** Where: `body.args`, `querystring.limit`, `params.id`. */
  path: string;
  message: string;
}

/** A request that does not match its route's schema (400), with one entry per problem. */
export class RequestError extends WeftError {
  readonly fields: FieldProblem[];
  constructor(message: string, fields: FieldProblem[] = []) {
    super("WEFT_BAD_REQUEST", message);
    this.name = "RequestError";
    this.fields = fields;
  }
}

const PART_NAME: Record<string, string> = { body: "body", querystring: "query", params: "path", headers: "headers" };

export function zodProblems(part: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = [PART_NAME[part] ?? part, ...issue.path.map(String)].join(".");
    return { path, message: issue.message };
  });
}

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = httpPart ?? "body";
  return (data: unknown) => {
    // Fastify hands a missing body over as null; an optional body schema means "no body or this".
    const input = part === "body" && data === null ? undefined : data;
    const res = schema.safeParse(input);
    if (res.success) return { value: res.data };
    const fields = zodProblems(part, res.error);
    const message = `invalid request: ${fields.map((f) => `${f.path}: ${f.message}`).join("; ")}`;
    return { error: new RequestError(message, fields) };
  };
};

/**
 * Response schemas document the wire shapes (and feed the OpenAPI document); with `check` they are also
 * enforced, which tests turn on so that a response drifting from its documented shape fails loudly.
 */
export function zodSerializerCompiler(check: boolean): FastifySerializerCompiler<z.ZodType> {
  return ({ schema, url, method }) =>
    (value: unknown) => {
      if (check) {
        const res = schema.safeParse(value);
        if (!res.success) {
          const problems = zodProblems("response", res.error)
            .map((f) => `${f.path}: ${f.message}`)
            .join("; ");
          throw new WeftError("WEFT_INTERNAL", `response of ${method} ${url} does not match its schema: ${problems}`);
        }
      }
      return JSON.stringify(value);
    };
}
