import FoundationEssentials
import Testing
import TraktWidgetCore

@Suite struct TraktLastActivitiesTests {
    @Test func decodesRecordedFixture() throws {
        let activities = try Fixture.decode(TraktLastActivities.self, "trakt-last-activities.json")
        #expect(activities == TraktLastActivities(
            moviesWatchedAt: "2014-11-19T21:42:41.000Z", episodesWatchedAt: "2014-11-20T06:51:30.000Z"
        ))
    }

    @Test(arguments: [
        "{}",
        #"{"movies":null,"episodes":null}"#,
        #"{"movies":{},"episodes":{"watched_at":null}}"#,
        #"{"movies":{"watched_at":5},"episodes":"x"}"#,
    ])
    func missingOrOddSectionsAreNil(_ json: String) throws {
        let activities = try Fixture.decode(TraktLastActivities.self, json: json)
        #expect(activities == TraktLastActivities(moviesWatchedAt: nil, episodesWatchedAt: nil))
    }

    @Test func oneSectionPresent() throws {
        let activities = try Fixture.decode(TraktLastActivities.self, json: #"{"episodes":{"watched_at":"2024-01-01T00:00:00.000Z"}}"#)
        #expect(activities.moviesWatchedAt == nil)
        #expect(activities.episodesWatchedAt == "2024-01-01T00:00:00.000Z")
    }

    @Test func encodingRoundTrips() throws {
        for value in [
            TraktLastActivities(moviesWatchedAt: "2014-11-19T21:42:41.000Z", episodesWatchedAt: "2014-11-20T06:51:30.000Z"),
            TraktLastActivities(moviesWatchedAt: nil, episodesWatchedAt: "2014-11-20T06:51:30.000Z"),
            TraktLastActivities(moviesWatchedAt: nil, episodesWatchedAt: nil),
        ] {
            let data = try JSONEncoder().encode(value)
            #expect(try JSONDecoder().decode(TraktLastActivities.self, from: data) == value)
        }
    }
}
