export {
  createLabelRoute as POST,
  listLabelsRoute as GET,
} from '../../../../../server/http/routes/labels.ts';
