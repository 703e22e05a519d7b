"""Who is in which room: fixed sizes, and the mixed rooms of a messenger's day."""

from loadtest.layout import channel_members, mixed_sizes


def test_mixed_rooms_go_from_the_smallest_to_the_largest_and_seat_everyone_once():
    members = channel_members(users=1000, channels=0, per_channel=5, largest=50)

    sizes = [len(room) for room in members]
    assert sizes[:10] == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]
    assert sorted(index for room in members for index in room) == list(range(1000))
    assert sizes == mixed_sizes(users=1000, smallest=5, largest=50)


def test_fixed_rooms_are_consecutive_blocks():
    assert channel_members(users=6, channels=3, per_channel=2) == [[0, 1], [2, 3], [4, 5]]
