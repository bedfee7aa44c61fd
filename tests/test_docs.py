# Copyright (c) mmvidseg contributors. All rights reserved.
"""The documentation (``docs/en/``, MkDocs): it builds without warnings, its
relative links resolve, and what it names exists.

* ``mkdocs build --strict`` into a temporary folder (skipped when mkdocs is
  not installed; ``mkdocs.yml`` turns missing pages / anchors into warnings,
  and ``--strict`` turns warnings into a failed build);
* every relative link of ``docs/en/*.md`` and ``README.md`` names an existing
  file, and a ``#anchor`` into a Markdown file names one of its headings;
* every ``tools/...`` script a page names exists, and every ``--flag`` on a
  ``python tools/X.py`` command line in a code block is defined by that
  script or the helper modules that add its arguments;
* the model-zoo page lists every metafile entry with its weights URL.
"""
import glob
import os.path as osp
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest
import yaml

from mmvidseg.testing import REPO_ROOT

DOCS = osp.join(REPO_ROOT, 'docs', 'en')
PAGES = sorted(glob.glob(osp.join(DOCS, '*.md')))
LINKED_FILES = PAGES + [osp.join(REPO_ROOT, 'README.md')]
# [text](target) outside inline code; images too
LINK_RE = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
FENCE_RE = re.compile(r'^(```|~~~).*?^\1', re.S | re.M)
# modules that add arguments to the tools' parsers (argparse helpers)
ARG_HELPERS = {
    'tools/train.py': ['mmvidseg/utils/config_utils.py'],
    'tools/test.py': ['mmvidseg/utils/config_utils.py'],
    'tools/test_vis.py': ['mmvidseg/utils/config_utils.py'],
    'tools/analysis_tools/eval_offline.py':
    ['mmvidseg/evaluation/offline/*.py'],
}
FORCE_HELPER = 'mmvidseg/utils/file_safety.py'


def _read(path: str) -> str:
    with open(path, encoding='utf-8') as f:
        return f.read()


def _strip_code(text: str) -> str:
    """Text without fenced blocks and inline code (links there are not
    links)."""
    text = FENCE_RE.sub('', text)
    return re.sub(r'`[^`\n]*`', '', text)


def slugify(title: str) -> str:
    """Python-Markdown's ``toc`` slug (MkDocs' heading ids)."""
    title = re.sub(r'`|\*\*|\[([^\]]*)\]\([^)]*\)', r'\1', title)
    value = unicodedata.normalize('NFKD', title).encode(
        'ascii', 'ignore').decode('ascii')
    value = re.sub(r'[^\w\s-]', '', value).strip().lower()
    return re.sub(r'[-\s]+', '-', value)


def anchors_of(path: str) -> set:
    text = FENCE_RE.sub('', _read(path))
    return {slugify(m.group(1)) for m in
            re.finditer(r'^#{1,6}\s+(.+?)\s*#*\s*$', text, re.M)}


def test_slugify_matches_mkdocs_ids():
    assert slugify('DAVIS 2017 (semi-supervised and unsupervised)') == \
        'davis-2017-semi-supervised-and-unsupervised'
    assert slugify('`zoo://` names: download, convert, cache') == \
        'zoo-names-download-convert-cache'
    assert slugify('Slow training on a shared CPU: `OMP_WAIT_POLICY`') == \
        'slow-training-on-a-shared-cpu-omp_wait_policy'


def test_pages_exist_and_are_in_the_nav():
    with open(osp.join(REPO_ROOT, 'mkdocs.yml')) as f:
        cfg = yaml.safe_load(f)
    nav = {list(item.values())[0] for item in cfg['nav']}
    names = {osp.basename(p) for p in PAGES}
    expected = {
        'index.md', 'get_started.md', 'dataset_preparation.md',
        'training.md', 'testing_and_submitting.md',
        'converting_checkpoints.md', 'model_zoo.md', 'export.md',
        'adding_a_new_model.md', 'faq.md', 'architecture.md', 'glossary.md'
    }
    assert expected <= names, expected - names
    assert nav == names, (nav ^ names)


@pytest.mark.parametrize('path', LINKED_FILES,
                         ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_relative_links_resolve(path):
    bad = []
    for target in LINK_RE.findall(_strip_code(_read(path))):
        if re.match(r'[a-z][a-z0-9+.-]*:', target):  # http:, mailto: ...
            continue
        file_part, _, anchor = target.partition('#')
        dest = path if not file_part else osp.normpath(
            osp.join(osp.dirname(path), file_part))
        if not osp.exists(dest):
            bad.append(f'{target}: {osp.relpath(dest, REPO_ROOT)} missing')
        elif anchor and dest.endswith('.md') and \
                anchor not in anchors_of(dest):
            bad.append(f'{target}: no heading #{anchor} in '
                       f'{osp.relpath(dest, REPO_ROOT)}')
    assert not bad, f'{osp.relpath(path, REPO_ROOT)}: broken links {bad}'


def test_readme_links_the_docs():
    targets = LINK_RE.findall(_read(osp.join(REPO_ROOT, 'README.md')))
    assert 'docs/en/index.md' in targets


def _code_lines(text: str):
    for block in FENCE_RE.finditer(text):
        # join shell continuation lines
        yield from block.group(0).replace('\\\n', ' ').splitlines()


def test_named_tools_exist_and_take_the_documented_flags():
    missing, bad_flags, checked = set(), [], 0
    for page in PAGES:
        text = _read(page)
        if 'planned' in text.splitlines()[0].lower():
            continue  # a page about a planned tool (export.md until it lands)
        for rel in set(re.findall(r'\btools/[\w/]+\.(?:py|sh)\b', text)):
            if not osp.isfile(osp.join(REPO_ROOT, rel)):
                missing.add(f'{osp.basename(page)}: {rel}')
        for line in _code_lines(text):
            m = re.search(r'python3? (tools/[\w/]+\.py)(.*)', line)
            if not m or not osp.isfile(osp.join(REPO_ROOT, m.group(1))):
                continue
            script = m.group(1)
            sources = [_read(osp.join(REPO_ROOT, script)),
                       # add_force_argument(): --force / --overwrite
                       _read(osp.join(REPO_ROOT, FORCE_HELPER))]
            for pattern in ARG_HELPERS.get(script, []):
                sources += [_read(p) for p in
                            glob.glob(osp.join(REPO_ROOT, pattern))]
            defined = '\n'.join(sources)
            args = m.group(2).split('#')[0]
            checked += 1
            for flag in re.findall(r'(?<![\w-])(--[a-z][\w-]*)', args):
                if f"'{flag}'" not in defined:
                    bad_flags.append(f'{osp.basename(page)}: {script} '
                                     f'{flag}')
    assert checked >= 30, f'only {checked} command lines found'
    assert not missing, sorted(missing)
    assert not bad_flags, bad_flags


def test_model_zoo_page_lists_every_metafile_entry():
    page = _read(osp.join(DOCS, 'model_zoo.md'))
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    absent = []
    for rel in index['Import']:
        with open(osp.join(REPO_ROOT, rel)) as f:
            for model in yaml.safe_load(f)['Models']:
                if f"`{model['Name']}`" not in page or \
                        model.get('Weights', '') not in page:
                    absent.append(model['Name'])
    assert not absent, f'model_zoo.md lacks {absent}'


def test_export_page_matches_the_tree():
    """The export page must not describe a tool that does not exist, and
    must stop saying "planned" once it does."""
    page = _read(osp.join(DOCS, 'export.md'))
    exists = osp.isfile(
        osp.join(REPO_ROOT, 'tools', 'deployment', 'export.py'))
    assert ('planned' in page.splitlines()[0].lower()) != exists


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip('mkdocs')
    site = tmp_path / 'site'
    proc = subprocess.run(
        [sys.executable, '-m', 'mkdocs', 'build', '--strict', '-q', '-f',
         osp.join(REPO_ROOT, 'mkdocs.yml'), '-d',
         str(site)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'WARNING' not in proc.stderr, proc.stderr
    for page in PAGES:
        name = osp.splitext(osp.basename(page))[0]
        html = site / ('index.html' if name == 'index' else
                       osp.join(name, 'index.html'))
        assert html.is_file(), f'{html} not built'
    shutil.rmtree(site)
