/**
 * Progressive enhancements, bundled by Astro into one same-origin module (the CSP allows no inline
 * script). Every page works without this file: each enhancement only shortens a path that plain
 * links and forms already provide.
 */
import { settleNotice, showMoreInPlace, trackColumnTabs } from './board.ts';
import { syncTimeZone } from './clock.ts';
import { enableDragging } from './drag.ts';
import {
  applyFiltersOnChange,
  enhanceDialogLinks,
  enhanceToggles,
  preventDoubleSubmit,
  searchShortcut,
  tidySearchUrls,
} from './forms.ts';
import { enhanceMoveButtons } from './moves.ts';
import { enableDescriptionPreview } from './preview.ts';
import { enableShortcuts } from './shortcuts.ts';

syncTimeZone();
enhanceDialogLinks();
enhanceToggles();
tidySearchUrls();
applyFiltersOnChange();
preventDoubleSubmit();
searchShortcut();
trackColumnTabs();
showMoreInPlace();
settleNotice();
enhanceMoveButtons();
enableDragging();
enableShortcuts();
enableDescriptionPreview();
