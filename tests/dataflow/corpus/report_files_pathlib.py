"""Saving answers to files: the file name is built from A's title with `pathlib` (`/`, `with_suffix`,
`with_name`, `stem`), the body is written and read back (content matching, `~>`), and the title itself
goes on to C as a value (taint). W's summary reaches B only through the file.

expect: A->C W~>B
reply A: Quarterly Planning Notes
reply W: The team agreed to focus on reliability work for the next quarter and to postpone the redesign.
"""

import pathlib
import tempfile

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


title = ask("A", "A title for the notes")
slug = "-".join(title.lower().split())
folder = pathlib.Path(tempfile.mkdtemp(prefix="notes-"))
path = (folder / slug).with_suffix(".md")
path.write_text(ask("W", "Summarise the meeting"))
backup = path.with_name(path.stem + "-copy.md")
backup.write_bytes(path.read_bytes())
ask("B", "Proofread:\n" + backup.read_text())
ask("C", f"Subtitle for {title!r} (saved as {path.name})")
