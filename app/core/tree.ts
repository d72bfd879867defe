/**
 * A read-only view of a source tree: a plain directory (`stablebot port`) or a commit of a repository
 * (`stablebot backport`). The adaptation engine sees trees only through this, so both front doors share it.
 */
export interface TreeView {
  /** a label for messages: a directory path or "<branch>@<sha12>" */
  readonly label: string;
  /** file content, or null when the path does not exist */
  read(path: string): Promise<string | null>;
  /** paths of files whose content contains `word` as a whole word (C identifier boundaries) */
  filesWithWord(word: string): Promise<string[]>;
  /** every file path in the tree (cached by implementations) */
  listFiles(): Promise<string[]>;
}
