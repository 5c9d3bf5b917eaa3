#!/bin/sh
# Builds the libFuzzer targets with swiftc directly (SwiftPM has no fuzzer build mode):
#   .build-fuzz/decoder  Tests/Fuzz/DecoderFuzz.swift + TraktWidgetCore + OAuthGrant
#   .build-fuzz/router   Tests/Fuzz/RouterFuzz.swift  + TraktWidgetCore
# The sources are compiled into one module together with the entry point, so no library is built.
# SWIFTC overrides the compiler; FUZZ_SANITIZERS (default fuzzer,address) the -sanitize list.
set -eu
cd "$(dirname "$0")/../.."
SWIFTC=${SWIFTC:-swiftc}
SANITIZERS=${FUZZ_SANITIZERS:-fuzzer,address}
OUT=.build-fuzz
mkdir -p "$OUT"
CORE=$(find Sources/TraktWidgetCore -name '*.swift' | sort)
build() {
    name=$1; shift
    echo "swiftc -sanitize=$SANITIZERS -> $OUT/$name"
    # -Onone would be slow; -O keeps Swift's runtime checks (overflow, bounds, force unwraps) on.
    "$SWIFTC" -sanitize="$SANITIZERS" -parse-as-library -O -g -module-name FuzzTarget -use-ld=lld \
        $CORE "$@" -o "$OUT/$name"
}
build decoder Sources/UpstreamClients/OAuthGrant.swift Tests/Fuzz/DecoderFuzz.swift
build router Tests/Fuzz/RouterFuzz.swift
