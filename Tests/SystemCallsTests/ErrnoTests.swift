import Testing
import SystemCalls

@Suite struct ErrnoTests {
    @Test func aMissingFileIsTypedNotText() {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try FileDescriptor.open("/nonexistent-\(Syscalls.processID)/file", .readOnly)
        }
    }

    @Test func describesWithTheOSTextOnly() {
        #expect(Errno.noSpace.description == "No space left on device")
    }

    @Test func anExistingDirectoryIsNotAnError() throws {
        try Syscalls.makeDirectory("/tmp", permissions: 0o700)
    }
}
