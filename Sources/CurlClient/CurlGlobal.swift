import CCurl

/// `curl_global_init` must run once, before any thread uses libcurl.
enum CurlGlobal {
    static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()
}
