#!/usr/bin/env bash
# Build the evaluator image and push it to ECR, unless the tag is already there
# (tags are immutable and named by content hash, so an existing tag is this build).
# Inputs come from the environment set by the terraform_data local-exec.
set -euo pipefail

: "${REGION:?}" "${REPOSITORY_NAME:?}" "${REGISTRY:?}" "${IMAGE:?}" "${TAG:?}" "${PLATFORM:?}" "${CONTEXT_DIR:?}" "${DOCKERFILE:?}"

for tool in docker aws python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build_and_push.sh: $tool is not installed here; building the evaluator image needs docker (with buildx), the AWS CLI and python3. Install them, or build the image elsewhere and set evaluator_image_uri." >&2
    exit 2
  fi
done

# The AWS CLI uses this shell's credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), not the
# Terraform provider's: with assume_role or a provider profile, export the same here or set
# evaluator_image_uri.
if aws ecr describe-images --region "$REGION" --repository-name "$REPOSITORY_NAME" \
  --image-ids "imageTag=$TAG" >/dev/null 2>&1; then
  echo "evaluator image $IMAGE already pushed"
  exit 0
fi

build_args=()
if [[ -n "${BUILD_ARGS_JSON:-}" && "$BUILD_ARGS_JSON" != "{}" ]]; then
  while IFS= read -r -d '' arg; do
    # docker only warns about a build arg the Dockerfile does not declare, and the image
    # silently keeps its default (for example another BERTScore model): refuse instead.
    if ! grep -Eq "^[[:space:]]*ARG[[:space:]]+${arg%%=*}([=[:space:]]|$)" "$DOCKERFILE"; then
      echo "build_and_push.sh: build arg ${arg%%=*} is not declared (ARG) in $DOCKERFILE" >&2
      exit 2
    fi
    build_args+=(--build-arg "$arg")
  done < <(python3 -c 'import json, os, sys
for k, v in sorted(json.loads(os.environ["BUILD_ARGS_JSON"]).items()):
    sys.stdout.write(f"{k}={v}\0")')
fi

aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"

# Lambda needs a single-platform image manifest: no provenance/SBOM attestations.
docker buildx build --platform "$PLATFORM" --provenance=false --sbom=false \
  --file "$DOCKERFILE" ${build_args[@]+"${build_args[@]}"} --tag "$IMAGE" --load "$CONTEXT_DIR"
docker push "$IMAGE"
echo "pushed evaluator image $IMAGE"
