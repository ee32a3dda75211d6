/** Plain text (Atom type="text", JSON Feed content_text) as HTML a reader shows the same: escaped, line breaks kept. */
export function plainTextToHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}
