import Testing
@testable import SystemCalls

@Suite struct FailureInjectionTests {
    @Test func parsesCallsAndErrnoNames() {
        #expect(FailureInjection.parse("write:ENOSPC,fsync:EIO") == [.write: .noSpace, .fsync: .ioError])
        #expect(FailureInjection.parse("") == [:])
        #expect(FailureInjection.parse("write:ENOPE") == nil)
        #expect(FailureInjection.parse("frobnicate:EIO") == nil)
    }

    #if DEBUG
    @Test func anInjectedCallFailsWithItsErrnoAndOthersStillWork() throws {
        let path = "/tmp/trakt-widget-injection-\(Syscalls.processID)"
        let file = try FileDescriptor.open(path, [.writeOnly, .create, .truncate])
        defer {
            file.close()
            try? Syscalls.unlink(path)
        }
        try FailureInjection.injecting([.write: .noSpace]) {
            #expect(throws: Errno.noSpace) { try file.writeAll([1, 2, 3]) }
            try file.sync()
        }
        try FailureInjection.injecting([.fsync: .ioError]) {
            try file.writeAll([1, 2, 3])
            #expect(throws: Errno.ioError) { try file.sync() }
        }
        // Outside the scope nothing is injected.
        try file.writeAll([4])
        try file.sync()
    }
    #endif
}
