"""Package discovery for LearnFlow's folder layout (metadata lives in pyproject.toml).

Each service folder is its own importable package (`agents/triage` -> `triage_agent`, ...), so
packages are found per folder; this keeps non-editable installs (Docker images) complete
without a hand-kept list.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "learnflow": "learnflow",
    "triage_agent": "agents/triage",
    "concepts_agent": "agents/concepts",
    "tutor_agent": "agents/tutor",
    "debrief_agent": "agents/debrief",
    "code_runner": "code-runner",
}

packages = []
for name, folder in PACKAGE_DIRS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(
    package_dir=PACKAGE_DIRS,
    packages=packages,
    package_data={
        "learnflow": [
            "curriculum/content/*.yaml",
            "curriculum/content/*/*.yaml",
            "curriculum/content/*/*/*",
            "db/migrations/*.sql",
            "mesh/*.xml",
            "mesh/*.txt",
            "data/*.jsonl",
        ],
    },
    include_package_data=True,
)
