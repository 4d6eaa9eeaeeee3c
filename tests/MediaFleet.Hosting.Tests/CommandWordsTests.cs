using MediaFleet.Hosting.Processes;

namespace MediaFleet.Hosting.Tests;

/// <summary>How a command setting becomes the words of a process, with no shell in between.</summary>
public sealed class CommandWordsTests
{
    public static TheoryData<string, string[]> Commands() => new()
    {
        { "nginx -s reload", ["nginx", "-s", "reload"] },
        { "  nginx \t -t  ", ["nginx", "-t"] },
        { "", [] },
        { " \t ", [] },
        { "sh -c 'test -e /tmp/x/ok'", ["sh", "-c", "test -e /tmp/x/ok"] },
        { "a \"b c\" d", ["a", "b c", "d"] },
        { "a 'b \"c\" d'", ["a", "b \"c\" d"] },
        { "a \"b 'c' d\"", ["a", "b 'c' d"] },
        { "\"a\"'b'c", ["abc"] },
        { "a ''", ["a", ""] },
        { "a \"\" b", ["a", "", "b"] },
        { "a\\ b", ["a b"] },
        { "a\\'b", ["a'b"] },
        { "\"a\\\"b\"", ["a\"b"] },
        { "\"a\\\\b\"", ["a\\b"] },
        // Inside single quotes a backslash is just a character, as in sh.
        { "'a\\b'", ["a\\b"] },
        { "a\\", ["a\\"] },
        { "/usr/sbin/nginx -c \"/etc/nginx/my conf/nginx.conf\" -t", ["/usr/sbin/nginx", "-c", "/etc/nginx/my conf/nginx.conf", "-t"] },
        { "echo ; rm -rf x", ["echo", ";", "rm", "-rf", "x"] },
        { "echo $HOME `id` *", ["echo", "$HOME", "`id`", "*"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Split_Command_GivesItsWords(string command, string[] words)
    {
        var split = CommandWords.Split(command);

        Assert.Equal(words, split);
    }

    [Theory]
    [InlineData("sh -c 'echo")]
    [InlineData("a \"b")]
    [InlineData("\"a\\\"")]
    [InlineData("'")]
    public void Split_UnclosedQuote_IsAFormatException(string command)
    {
        var error = Assert.Throws<FormatException>(() => CommandWords.Split(command));

        Assert.Contains("unclosed", error.Message, StringComparison.Ordinal);
    }
}
