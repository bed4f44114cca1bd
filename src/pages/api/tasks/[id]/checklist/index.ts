export {
  addChecklistItemRoute as POST,
  listChecklistRoute as GET,
} from '../../../../../server/http/routes/checklist.ts';
