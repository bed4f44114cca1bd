import { type ActionAPIContext, defineAction } from 'astro:actions';
import { runForm } from '../server/http/form.ts';

/**
 * A form action whose body returns the path to redirect to; expected errors become a failed
 * FormResult that the page renders next to the fields (see runForm).
 */
export function formAction(body: (form: FormData, ctx: ActionAPIContext) => Promise<string>) {
  return defineAction({ accept: 'form', handler: (form, ctx) => runForm(form, () => body(form, ctx)) });
}

/** Drops keys whose value is '' (a select left on "any"/"Inbox"). */
export function withoutEmpty(fields: Record<string, string>, keys: string[]): Record<string, string> {
  const out = { ...fields };
  for (const k of keys) if (out[k] === '') delete out[k];
  return out;
}
