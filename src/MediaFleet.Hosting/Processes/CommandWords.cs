using System.Text;

namespace MediaFleet.Hosting.Processes;

/// <summary>
/// Splits a command setting such as <c>nginx -s reload</c> into words for <c>ProcessStartInfo.ArgumentList</c>, so no
/// shell ever reads it: blanks separate words, single or double quotes group them, a backslash escapes the next character.
/// </summary>
public static class CommandWords
{
    public static IReadOnlyList<string> Split(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else if (c == '\\' && q == '"' && i + 1 < command.Length)
                {
                    word.Append(command[++i]);
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < command.Length)
            {
                word.Append(command[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quote is not null)
        {
            throw new FormatException($"unclosed {quote} quote in '{command}'");
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
