# Multi-stage build: wheels are built in a throwaway stage; the runtime image has ffmpeg, a CJK
# font and the installed package, and runs as an unprivileged user.
FROM python:3.11-slim-bookworm AS build
# `daemon` is the daemon and the local engine; optional features: `asr` (speech in shots, for
# matching), `vision` (on-screen text of shots, for matching), `voice` (neural Mandarin voice-over),
# `clip` (an operator's image-text model). Build with --build-arg EXTRAS=daemon for the smallest
# image that runs.
ARG EXTRAS=daemon,asr,clip,vision,voice
WORKDIR /src
COPY pyproject.toml README.md ./
COPY daemon ./daemon
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".${EXTRAS:+[$EXTRAS]}"

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-wqy-zenhei espeak-ng \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/imsd --create-home imsd
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY config/imsd.toml /etc/imsd/imsd.toml
USER imsd
WORKDIR /var/lib/imsd
ENV IMSD_CONFIG=/etc/imsd/imsd.toml \
    IMSD_HTTP__HOST=0.0.0.0 \
    IMSD_LOG__FORMAT=json \
    PYTHONUNBUFFERED=1
# 8787: callbacks, /metrics, /livez, /readyz, /console (set IMSD_CONSOLE__TOKEN: bound to 0.0.0.0
# the console is off without one); 8788: the IMS OpenAPI, when IMSD_OPENAPI__ENABLED=true (then
# also IMSD_OPENAPI__HOST=0.0.0.0).
EXPOSE 8787 8788
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/readyz')"
ENTRYPOINT ["imsd"]
CMD ["run"]
