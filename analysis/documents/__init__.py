"""Word documents a county files: the 自查自评报告 and the 创建工作实施方案 / 整改方案.

:func:`write_county_documents` writes both for one county and year (``publish`` calls it
beside each county report); ``python -m analysis selfeval`` and ``python -m analysis plan
--docx`` write them one at a time. Templates: ``analysis/templates/docx``; fields:
``docs/word-templates.md``.
"""

from analysis.documents.county import write_county_documents
from analysis.documents.selfeval import selfeval_blocks, write_selfeval

__all__ = ["selfeval_blocks", "write_county_documents", "write_selfeval"]
