export {
  deleteLabelRoute as DELETE,
  getLabelRoute as GET,
  updateLabelRoute as PATCH,
} from '../../../server/http/routes/labels.ts';
