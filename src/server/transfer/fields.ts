import { LIMITS } from '../tasks/validation.ts';
import { parseText } from '../text.ts';

/**
 * Field rules for what the import brings that no form of this branch edits yet: label names and
 * checklist items. Label names are as long as project names; a checklist item is one line, as
 * long as a title.
 */

export const LABEL_NAME_MAX = LIMITS.projectName;

export function parseLabelName(v: unknown): string {
  return parseText(v, {
    field: 'labels',
    label: 'A label name',
    max: LABEL_NAME_MAX,
    trim: true,
    required: true,
  });
}

export function parseChecklistText(v: unknown): string {
  return parseText(v, {
    field: 'checklist',
    label: 'A checklist item',
    max: LIMITS.title,
    trim: true,
    required: true,
  });
}
