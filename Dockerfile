# The scanner image: `dataproduct scan` with only what the scanner needs at run time
# (boto3, pyarrow, pydantic, PyYAML); the Pulumi SDK and providers are not installed.
#
#   docker build -t ghcr.io/<org>/dataproduct-scanner:0.1.0 .
#   docker push ghcr.io/<org>/dataproduct-scanner:0.1.0
#   pulumi config set dataproduct:scannerImage ghcr.io/<org>/dataproduct-scanner:0.1.0
#
# See docs/scanner.md for the environment variables the container reads.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY dataproduct_iac ./dataproduct_iac
RUN python -m venv /opt/scanner \
    && /opt/scanner/bin/pip install --no-deps . \
    && /opt/scanner/bin/pip install "boto3>=1.44" "pyarrow>=26" "pydantic>=2.14,<3" "pyyaml>=6.0"

FROM python:${PYTHON_VERSION}-slim
LABEL org.opencontainers.image.title="dataproduct-scanner" \
      org.opencontainers.image.description="Registers S3 depot datasets in the Glue Data Catalog" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/scanner /opt/scanner
# Runs as a non-root user with a read-only root file system (the ScannerJob mounts /tmp).
RUN groupadd --gid 10001 scanner && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin scanner
ENV PATH=/opt/scanner/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
USER 10001:10001
ENTRYPOINT ["dataproduct"]
CMD ["scan"]
