extension Result {
    /// The failure, for `#expect(result.failureValue == .timedOut)`.
    public var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
