export {
  deleteChecklistItemRoute as DELETE,
  getChecklistItemRoute as GET,
  updateChecklistItemRoute as PATCH,
} from '../../../../../../../server/http/routes/checklist.ts';
