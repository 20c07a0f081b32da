"""Regenerate the default Word templates (analysis/templates/docx/*.docx).

The .docx files are generated, checked in, and the source of truth is
analysis.documents.word.build_template: run ``python scripts/make_docx_templates.py`` after
changing it.
"""

from analysis.documents.word import TEMPLATE_DIR, build_template

if __name__ == "__main__":
    for name in ("selfeval", "plan"):
        print(build_template(TEMPLATE_DIR / f"{name}.docx", kind=name))
