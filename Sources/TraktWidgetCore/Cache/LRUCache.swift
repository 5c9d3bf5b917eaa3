/// A small least-recently-used map. Lookups and inserts are O(capacity), which for a few dozen
/// entries is cheaper than keeping a linked list in step.
public struct LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let capacity: Int
    private var values: [Key: Value] = [:]
    /// Least recently used first.
    private var order: [Key] = []

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var keys: [Key] { order }

    public mutating func value(for key: Key) -> Value? {
        guard let value = values[key] else { return nil }
        touch(key)
        return value
    }

    /// Returns the values this pushed out (a replaced value, or the least recently used one), so a
    /// caller that counts their cost can keep its count right.
    @discardableResult
    public mutating func set(_ value: Value, for key: Key) -> [Value] {
        if let replaced = values.updateValue(value, forKey: key) {
            touch(key)
            return [replaced]
        }
        order.append(key)
        guard order.count > capacity, let evicted = values.removeValue(forKey: order.removeFirst()) else { return [] }
        return [evicted]
    }

    @discardableResult
    public mutating func removeValue(for key: Key) -> Value? {
        guard let value = values.removeValue(forKey: key) else { return nil }
        order.removeAll { $0 == key }
        return value
    }

    private mutating func touch(_ key: Key) {
        if let index = order.firstIndex(of: key), index != order.count - 1 {
            order.remove(at: index)
            order.append(key)
        }
    }
}
