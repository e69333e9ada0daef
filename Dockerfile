FROM python:3.11-slim
WORKDIR /srv
COPY pyproject.toml ./
COPY app ./app
COPY templates ./templates
COPY static ./static
COPY gunicorn.conf.py ./
# Editable, so templates/ and static/ stay beside the package.
RUN pip install --no-cache-dir -e . && useradd --system ui
USER ui
EXPOSE 4455
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
