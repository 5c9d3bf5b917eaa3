/// Optional views of a result, for code that inspects several results side by side.
extension Result {
    public var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }

    public var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}
