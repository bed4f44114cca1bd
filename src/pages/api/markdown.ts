export { previewMarkdownRoute as POST } from '../../server/http/routes/markdown.ts';
