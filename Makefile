# trakt-widget — build, test, run and install. `make help` lists the targets.

SWIFT      ?= swift
# Debian's python3: the test tools come from Debian's packages (python3-pytest, python3-selenium).
PYTHON     ?= /usr/bin/python3
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR      = $(DESTDIR)$(PREFIX)/bin
SHAREDIR    = $(DESTDIR)$(PREFIX)/share/trakt-widget
UNITDIR     = $(DESTDIR)/etc/systemd/system
NGINXDIR    = $(DESTDIR)/etc/nginx
ETCDIR      = $(DESTDIR)/etc/trakt-widget

DEBUG_BIN   = .build/debug/trakt-widget
RELEASE_BIN = .build/release/trakt-widget
VERSION     = $(shell sed -n 's/.*static let current = "\(.*\)".*/\1/p' $$(grep -rl 'enum Version' Sources))
DEB         = .build/trakt-widget_$(VERSION)_$(shell dpkg --print-architecture).deb

# Each target installs the Debian 12 packages it needs (.ci/*-packages.txt) when run as root, and
# otherwise prints the exact apt-get line and stops.
REQUIRE     = .ci/require-packages

.PHONY: help build release test test-packages unit integration run install uninstall clean deps bench soak fuzz \
        deb fresh-check systemd-check docs

help:
	@echo "make build      debug build"
	@echo "make release    release build ($(RELEASE_BIN))"
	@echo "make test       unit tests, then the real-stack integration tests (installs missing packages)"
	@echo "make run        local stack: nginx on 127.0.0.1:8080 + responder + demo upstream"
	@echo "make install    install binary, units, nginx files and env example (PREFIX, DESTDIR)"
	@echo "make uninstall  remove what install placed (keeps /etc/trakt-widget/env)"
	@echo "make deb        Debian package trakt-widget_<version>_amd64.deb in .build/ (lintian-checked)"
	@echo "make systemd-check  boot Debian 12 with systemd in a container, apt install the .deb, prove the units"
	@echo "make fresh-check    clean clone in a fresh Debian 12 root: make test, then make run answers"
	@echo "make clean      remove build output and ./var"
	@echo "make deps       install the Debian packages of every target (.ci/*-packages.txt)"
	@echo "make bench      release-build benchmarks (~5 min, needs 2 CPUs, wrk, node); writes BENCHMARKS.md"
	@echo "make soak       5-minute fault soak through nginx (SOAK_SECONDS=60 for a short run; needs wrk)"
	@echo "make fuzz       libFuzzer on the JSON decoders and the router, FUZZ_SECONDS (60) each"
	@echo "make docs       rewrite docs/cli.md from the binary's --help (make test fails when it is stale)"

build:
	@$(REQUIRE) .ci/build-packages.txt
	$(SWIFT) build

release:
	@$(REQUIRE) .ci/build-packages.txt
	$(SWIFT) build -c release --static-swift-stdlib

test: unit integration

test-packages:
	@$(REQUIRE) .ci/build-packages.txt .ci/test-packages.txt

unit: test-packages build
	$(SWIFT) test

# pytest exits 5 when it collects nothing, and make stops on it like on any failure. Under CI=true a
# missing browser fails test_widget.py instead of skipping it; -rs lists any skip with its reason.
integration: test-packages build
	TRAKT_WIDGET_BIN=$(CURDIR)/$(DEBUG_BIN) $(PYTHON) -m pytest Tests/Integration -q -rs -p no:cacheprovider

run:
	@$(REQUIRE) .ci/build-packages.txt .ci/run-packages.txt
	$(MAKE) --no-print-directory release
	cd Tests/Integration && TRAKT_WIDGET_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) -m harness.localstack

# Pins the server side to CPU 0 and wrk to CPU 1; BENCH_ARGS passes options to the script, e.g.
# BENCH_ARGS="--quick --out -" for a fast smoke run, or "--wait-quiet 1200" to wait for a quiet machine.
bench:
	@$(REQUIRE) .ci/build-packages.txt .ci/bench-packages.txt
	$(MAKE) --no-print-directory release
	TRAKT_WIDGET_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) Tests/Bench/bench.py --out $(CURDIR)/BENCHMARKS.md $(BENCH_ARGS)

install: release
	install -d $(BINDIR) $(SHAREDIR)/web $(UNITDIR) $(NGINXDIR)/trakt-widget $(NGINXDIR)/conf.d $(ETCDIR)
	install -d -m 0700 $(DESTDIR)/etc/credstore
	install -m 0755 $(RELEASE_BIN) $(BINDIR)/trakt-widget
	install -m 0644 web/trakt-widget.js web/index.html $(SHAREDIR)/web/
	sed 's#/usr/local/bin/trakt-widget#$(PREFIX)/bin/trakt-widget#' systemd/trakt-widget.service > $(UNITDIR)/trakt-widget.service
	chmod 0644 $(UNITDIR)/trakt-widget.service
	install -m 0644 systemd/trakt-widget.socket $(UNITDIR)/trakt-widget.socket
	install -m 0644 nginx/trakt-widget-http.conf nginx/trakt-widget-locations.conf $(NGINXDIR)/trakt-widget/
	ln -sfn ../trakt-widget/trakt-widget-http.conf $(NGINXDIR)/conf.d/trakt-widget.conf
	@# Files the operator edits are never overwritten.
	test -e $(NGINXDIR)/trakt-widget/trakt-widget-origins.conf || install -m 0644 nginx/trakt-widget-origins.conf $(NGINXDIR)/trakt-widget/
	test -e $(NGINXDIR)/trakt-widget/trakt-widget-server.conf || \
	  sed 's#/usr/local/share/trakt-widget/web#$(PREFIX)/share/trakt-widget/web#' nginx/trakt-widget-server.conf \
	    > $(NGINXDIR)/trakt-widget/trakt-widget-server.conf
	@# Debian has no /var/cache/nginx, and nginx creates only the last component of fastcgi_cache_path.
	install -d $(DESTDIR)/var/cache/nginx
	install -d -o www-data -g www-data -m 0700 $(DESTDIR)/var/cache/nginx/trakt-widget
	install -m 0644 systemd/trakt-widget.env.example $(ETCDIR)/env.example
	test -e $(ETCDIR)/env || install -m 0644 systemd/trakt-widget.env.example $(ETCDIR)/env
	@echo "Installed. Next: edit $(ETCDIR)/env and $(NGINXDIR)/trakt-widget/*-server.conf and *-origins.conf,"
	@echo "then: ln -s $(NGINXDIR)/trakt-widget/trakt-widget-server.conf $(NGINXDIR)/sites-enabled/trakt-widget (see README)."

uninstall:
	rm -f $(BINDIR)/trakt-widget $(UNITDIR)/trakt-widget.service $(UNITDIR)/trakt-widget.socket
	rm -f $(NGINXDIR)/conf.d/trakt-widget.conf $(NGINXDIR)/sites-enabled/trakt-widget
	rm -f $(NGINXDIR)/trakt-widget/trakt-widget-http.conf $(NGINXDIR)/trakt-widget/trakt-widget-locations.conf
	rm -f $(ETCDIR)/env.example
	rm -rf $(SHAREDIR)
	@echo "Kept what you edited: $(ETCDIR)/env, /etc/credstore/trakt-widget.*, $(NGINXDIR)/trakt-widget/ (origins, server)."

# Needs dpkg-dev (dpkg-shlibdeps) and lintian; a lintian error fails the build.
deb: release
	@$(REQUIRE) .ci/deb-packages.txt
	packaging/deb/build.sh $(RELEASE_BIN) $(VERSION) $(DEB)
	lintian --fail-on error,warning $(DEB)

# Both run a cached Debian 12 root (Tests/Debian/rootfs.sh) under systemd-nspawn; root only.
systemd-check: deb
	@$(REQUIRE) .ci/systemd-check-packages.txt
	$(PYTHON) Tests/Debian/systemd_check.py $(DEB)

fresh-check:
	@$(REQUIRE) .ci/systemd-check-packages.txt
	Tests/Debian/fresh_check.sh

docs: build
	$(PYTHON) docs/cli_reference.py $(DEBUG_BIN)

clean:
	rm -rf .build var Tests/Integration/artifacts

deps:
	@$(REQUIRE) .ci/*-packages.txt

# Fault soak (Tests/Soak/soak.py): wrk c=50 through nginx for 5 minutes, CACHE_TTL=2, a Trakt failure
# every 20 s; fails on any non-200/304 answer or on responder RSS/fd/thread growth. Bounded to 10 min.
# SOAK_SECONDS=60 for a short run.
soak: build
	@$(REQUIRE) .ci/soak-packages.txt
	TRAKT_WIDGET_BIN=$(CURDIR)/$(DEBUG_BIN) timeout 600 $(PYTHON) Tests/Soak/soak.py

# libFuzzer (Tests/Fuzz/): the Trakt/TMDB/OAuth JSON decoders and the request router, built with
# swiftc -sanitize=fuzzer,address into .build-fuzz/, FUZZ_SECONDS (60) each after replaying
# Tests/Fuzz/regressions/.
fuzz:
	Tests/Fuzz/run.sh
