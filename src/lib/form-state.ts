import type { FormResult } from '../server/http/form.ts';

/** A failed form action, ready to render: the message, the field it belongs to, what was typed. */
export type FormFailure = Extract<FormResult, { ok: false }>;

/** The shape `Astro.getActionResult(actions.x)` returns for our actions. */
export interface ActionOutcome {
  data?: FormResult;
  error?: { status?: number } | undefined;
}

/**
 * The failure to show for an action outcome, or undefined when there is none (no post, or success).
 * An unexpected error (the action threw something that is not an expected error, or Astro refused
 * the request, e.g. a body over its limit) becomes a generic message with no field, so the page
 * still renders its form instead of a bare 500.
 */
export function getFormFailure(outcome: ActionOutcome | undefined): FormFailure | undefined {
  if (!outcome) return undefined;
  if (outcome.data && !outcome.data.ok) return outcome.data;
  if (outcome.error) {
    const status = typeof outcome.error.status === 'number' ? outcome.error.status : 500;
    return {
      ok: false,
      status,
      message:
        status === 413
          ? 'That was too much text to send at once; nothing was saved.'
          : 'Something went wrong on our side and nothing was saved. Please try again.',
      values: {},
    };
  }
  return undefined;
}

/** The message for `field` when the failure names it. */
export function getFieldError(failure: FormFailure | undefined, field: string): string | undefined {
  return failure?.field === field ? failure.message : undefined;
}

/**
 * Whether a failure has no field among `fields`, so it belongs at the top of the form rather than
 * next to an input (e.g. "Email or password is incorrect.").
 */
export function isFormLevel(failure: FormFailure | undefined, fields: readonly string[]): boolean {
  return failure !== undefined && (failure.field === undefined || !fields.includes(failure.field));
}

/**
 * Attributes for an input that may be in error: `aria-invalid` and `aria-describedby` pointing at
 * its message (and at a hint, when it has one), plus autofocus so the cursor lands where the fix is.
 */
export function getFieldAttrs(
  error: string | undefined,
  errorId: string,
  hintId?: string,
): Record<string, string | boolean> {
  const describedBy = [hintId, error ? errorId : undefined].filter(Boolean).join(' ');
  return {
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
    ...(error ? { 'aria-invalid': 'true', autofocus: true } : {}),
  };
}

/** What the user typed into `field` (after a failure), else `fallback`. */
export function getTypedValue(failure: FormFailure | undefined, field: string, fallback = ''): string {
  const typed = failure?.values[field];
  return typed === undefined ? fallback : typed;
}

/** What a page hosting several forms does after a POST: follow a success, or show the failures. */
export interface Settled<K extends string> {
  /** Where to go (303) after a successful action. */
  redirect: string | undefined;
  /** The HTTP status to render the page with after a failure. */
  status: number | undefined;
  failures: Partial<Record<K, FormFailure>>;
}

/**
 * Reads the outcomes of the actions a page hosts (only one ran, if any): POST → 303 → GET on
 * success, otherwise the failure of whichever form was sent, keyed like `outcomes`.
 */
export function settleActions<K extends string>(outcomes: Record<K, ActionOutcome | undefined>): Settled<K> {
  const failures: Partial<Record<K, FormFailure>> = {};
  let status: number | undefined;
  for (const key of Object.keys(outcomes) as K[]) {
    const outcome = outcomes[key];
    if (outcome?.data?.ok) return { redirect: outcome.data.redirect, status: undefined, failures };
    const failure = getFormFailure(outcome);
    if (failure) {
      failures[key] = failure;
      status = failure.status;
    }
  }
  return { redirect: undefined, status, failures };
}
