"""Code comments in another language (book/_ext/book_comments.py): the comments change, never the code."""
from __future__ import annotations

import pytest

from tools import i18n

comments = i18n.book_extension("book_comments")

CELL = """\
%matplotlib inline
import torch

# decoding a JPEG costs more again: encode 200 images as JPEG,
# then time decoding them
x = torch.zeros(4, 3)  # 4 images, 3 values each
s = "# not a comment"
y = x.view(-1)  # -> (12,)
    # an indented comment
z = (len("abc")
     % 2)  # a continuation line that starts with %
!pip install blitz  # a shell line's comment is part of the command
"""


def test_messages_join_a_block_and_skip_what_has_no_words():
    found = comments.messages(CELL)
    assert [m.text for m in found] == [
        "decoding a JPEG costs more again: encode 200 images as JPEG, then time decoding them",
        "4 images, 3 values each",
        "an indented comment",
        "a continuation line that starts with %",
    ]
    block, trailing, indented, _ = found
    assert (block.first, block.last, block.trailing) == (3, 4, False)
    assert trailing.trailing and trailing.first == trailing.last == 5
    assert indented.col == 4


def test_translate_changes_only_the_comments():
    catalog = {
        "decoding a JPEG costs more again: encode 200 images as JPEG, then time decoding them":
            "解码 JPEG 的代价更高：把 200 张图像编码为 JPEG，\n再计时解码",
        "4 images, 3 values each": "4 张图像，每张 3 个值",
        "not a comment": "不是注释",
        "a continuation line that starts with %": "以 % 开头的续行",
    }
    out = comments.translate(CELL, catalog)
    assert "# 解码 JPEG 的代价更高：把 200 张图像编码为 JPEG，\n# 再计时解码\n" in out
    assert 'x = torch.zeros(4, 3)  # 4 张图像，每张 3 个值\n' in out
    assert 's = "# not a comment"' in out  # a string is code
    assert "# an indented comment" in out  # untranslated: stays English
    assert "     % 2)  # 以 % 开头的续行" in out
    assert "!pip install blitz  # a shell line's comment is part of the command" in out
    assert comments.code_lines(out) == comments.code_lines(CELL)


def test_a_block_may_shrink_and_the_code_still_compares_equal():
    one_line = {"decoding a JPEG costs more again: encode 200 images as JPEG, then time decoding them":
                "解码 JPEG 更慢"}
    out = comments.translate(CELL, one_line)
    assert len(out.split("\n")) == len(CELL.split("\n")) - 1
    assert comments.code_lines(out) == comments.code_lines(CELL)


def test_code_lines_see_a_changed_line_of_code():
    changed = CELL.replace("torch.zeros(4, 3)", "torch.zeros(4, 4)")
    assert comments.code_lines(changed) != comments.code_lines(CELL)


def test_a_block_keeps_its_tab_indent():
    out = comments.translate("if True:\n\t# one two\n\tpass", {"one two": "一\n二"})
    assert out == "if True:\n\t# 一\n\t# 二\n\tpass"


def test_a_cell_that_is_not_python_is_refused_when_strict():
    broken = "x = (1,  # open bracket\n"
    assert comments.translate(broken, {"open bracket": "左括号"}) == broken
    with pytest.raises(comments.NotPython):
        comments.translate(broken, {"open bracket": "左括号"}, strict=True)
    with pytest.raises(comments.NotPython, match="cell magic"):
        comments.messages("%%time\nx = 1  # one")


def test_strict_translation_names_the_missing_comment():
    with pytest.raises(comments.Untranslated, match="a continuation line"):
        comments.translate(CELL, {}, strict=True)


def test_a_comment_after_code_stays_one_line():
    with pytest.raises(ValueError, match="stay one line"):
        comments.translate(CELL, {"4 images, 3 values each": "四张\n图像"})


def test_the_check_wants_the_code_and_numbers_a_comment_names():
    assert i18n.comment_problems("the original writes root='./data'", "原文写作 root='./data'") == []
    problems = i18n.comment_problems("the original writes root='./data'", "原文写的是数据目录")
    assert problems and "root='./data'" in problems[0]
    assert i18n.comment_problems("x.view(-1, 8) keeps 8 columns", "x.view(-1, 8) 保留八列")
    assert i18n.comment_problems("e.g. a cat", "比如一只猫") == []


def test_the_template_finds_the_comments_of_chapter_cells():
    source = "# Title\n\n```{code-cell} ipython3\n# make a tensor\nx = 1  # one\n```\n"
    assert i18n.code_comments(source) == [("make a tensor", "x = 1  # one"), ("one", "x = 1")]
