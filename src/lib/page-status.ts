import { STATUS_CODES } from 'node:http';

/**
 * Sets a page's HTTP status together with its reason phrase. Astro's page response starts as
 * `200 OK` and keeps "OK" when only the status changes, so a failed login went out as
 * `401 OK`; every page that sets a status goes through here instead.
 */
export function setPageStatus(response: { status?: number; statusText?: string }, status: number): void {
  response.status = status;
  response.statusText = STATUS_CODES[status] ?? '';
}
