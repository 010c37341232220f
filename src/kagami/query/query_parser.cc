#include "kagami/query/query_parser.h"

#include <cctype>

namespace kagami::query {

std::string QueryError::render(std::string_view query) const {
  std::string out = "column " + std::to_string(pos + 1) + ": " + message;
  if (query.size() <= 200 && query.find('\n') == std::string_view::npos) {
    out += "\n  ";
    out += query;
    out += "\n  " + std::string(pos, ' ') + std::string(len > 0 ? len : 1, '^');
  }
  return out;
}

namespace {

struct Token {
  enum class Kind { kEnd, kWord, kQuoted, kLParen, kRParen, kLBracket, kRBracket };
  Kind kind = Kind::kEnd;
  std::string text;
  std::size_t pos = 0, len = 0;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_special(char c) { return c == '(' || c == ')' || c == '[' || c == ']' || c == '"'; }

class Parser {
 public:
  Parser(std::string_view text, QueryError& error) : s_(text), error_(error) {}

  bool run(Node& out) {
    if (s_.size() > kMaxQueryBytes)
      return fail(kMaxQueryBytes, 1, "too_long",
                  "the query is longer than " + std::to_string(kMaxQueryBytes) + " bytes");
    if (!readable()) return false;
    if (!next()) return false;
    if (tok_.kind == Token::Kind::kEnd) return fail(0, 0, "empty", "the query is empty");
    if (!parse_or(out, 0)) return false;
    if (tok_.kind != Token::Kind::kEnd) {
      if (tok_.kind == Token::Kind::kRParen)
        return fail(tok_.pos, tok_.len, "unmatched_close", "')' without a matching '('");
      return fail(tok_.pos, tok_.len, "unexpected", "unexpected '" + tok_.text + "'",
                  {{"text", tok_.text}});
    }
    return true;
  }

 private:
  bool fail(std::size_t pos, std::size_t len, const char* code, std::string message,
            std::vector<std::pair<std::string, std::string>> args = {}) {
    error_.pos = pos;
    error_.len = len;
    error_.code = code;
    error_.args = std::move(args);
    error_.message = std::move(message);
    return false;
  }

  // Queries are text: UTF-8 without control characters (a NUL would cut the query short in
  // the full-text index's own syntax; a stray byte is a paste gone wrong).
  bool readable() {
    std::size_t i = 0;
    while (i < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i]);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
        return fail(i, 1, "control_character", "the query contains a control character");
      std::size_t n = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
      if (n == 0 || i + n > s_.size())
        return fail(i, 1, "not_utf8", "the query is not valid UTF-8");
      for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s_[i + k]) & 0xC0) != 0x80)
          return fail(i, 1, "not_utf8", "the query is not valid UTF-8");
      i += n;
    }
    return true;
  }

  // Reads the next token into tok_.
  bool next() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    tok_ = Token{};
    tok_.pos = i_;
    if (i_ >= s_.size()) return true;
    const char c = s_[i_];
    auto single = [&](Token::Kind k) {
      tok_.kind = k;
      tok_.text = std::string(1, c);
      tok_.len = 1;
      ++i_;
      return true;
    };
    switch (c) {
      case '(':
        return single(Token::Kind::kLParen);
      case ')':
        return single(Token::Kind::kRParen);
      case '[':
        return single(Token::Kind::kLBracket);
      case ']':
        return single(Token::Kind::kRBracket);
      case '"':
        return quoted();
      default:
        break;
    }
    const std::size_t start = i_;
    while (i_ < s_.size() && !is_space(s_[i_]) && !is_special(s_[i_])) ++i_;
    tok_.kind = Token::Kind::kWord;
    tok_.text = std::string(s_.substr(start, i_ - start));
    tok_.len = i_ - start;
    // field:"quoted" and field:[range] are one term: the word ends at its colon.
    return true;
  }

  bool quoted() {
    const std::size_t start = i_++;
    std::string text;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      text += s_[i_++];
    }
    if (i_ >= s_.size()) return fail(start, 1, "unclosed_quote", "this quote is never closed");
    ++i_;
    tok_.kind = Token::Kind::kQuoted;
    tok_.text = std::move(text);
    tok_.len = i_ - start;
    return true;
  }

  bool is_keyword(const char* k) const { return tok_.kind == Token::Kind::kWord && tok_.text == k; }

  bool count_term(const Token& t) {
    if (++terms_ > kMaxTerms)
      return fail(t.pos, t.len, "too_many_terms",
                  "more than " + std::to_string(kMaxTerms) + " terms",
                  {{"max", std::to_string(kMaxTerms)}});
    return true;
  }

  static void join(Node& into, Node::Type type, Node rhs) {
    if (into.type == type && into.children.size() >= 2) {
      into.children.push_back(std::move(rhs));
      return;
    }
    Node n;
    n.type = type;
    n.pos = into.pos;
    n.children.push_back(std::move(into));
    n.children.push_back(std::move(rhs));
    into = std::move(n);
  }

  bool parse_or(Node& out, std::size_t depth) {
    if (depth > kMaxDepth)
      return fail(tok_.pos, tok_.len, "too_deep", "parentheses nested too deeply");
    if (!parse_and(out, depth)) return false;
    while (is_keyword("OR") || is_keyword("||")) {
      const Token op = tok_;
      if (!next()) return false;
      if (starts_nothing())
        return fail(op.pos, op.len, "operator_alone", "OR needs something after it",
                    {{"op", "OR"}});
      Node rhs;
      if (!parse_and(rhs, depth)) return false;
      join(out, Node::Type::kOr, std::move(rhs));
    }
    return true;
  }

  bool starts_nothing() const {
    return tok_.kind == Token::Kind::kEnd || tok_.kind == Token::Kind::kRParen ||
           is_keyword("AND") || is_keyword("OR") || is_keyword("&&") || is_keyword("||");
  }

  bool parse_and(Node& out, std::size_t depth) {
    if (!parse_unary(out, depth)) return false;
    for (;;) {
      if (is_keyword("AND") || is_keyword("&&")) {
        const Token op = tok_;
        if (!next()) return false;
        if (starts_nothing())
          return fail(op.pos, op.len, "operator_alone", "AND needs something after it",
                      {{"op", "AND"}});
      } else if (tok_.kind == Token::Kind::kEnd || tok_.kind == Token::Kind::kRParen ||
                 is_keyword("OR") || is_keyword("||")) {
        return true;
      }
      Node rhs;
      if (!parse_unary(rhs, depth)) return false;
      join(out, Node::Type::kAnd, std::move(rhs));
    }
  }

  bool parse_unary(Node& out, std::size_t depth) {
    if (depth > kMaxDepth) return fail(tok_.pos, tok_.len, "too_deep", "NOT nested too deeply");
    const bool word_not = is_keyword("NOT") || is_keyword("!");
    const bool dash_not =
        tok_.kind == Token::Kind::kWord && tok_.text.size() > 1 && tok_.text[0] == '-';
    if (word_not || dash_not) {
      const Token op = tok_;
      if (word_not) {
        if (!next()) return false;
        if (starts_nothing())
          return fail(op.pos, op.len, "operator_alone", "NOT needs something after it",
                      {{"op", "NOT"}});
      } else {
        // "-word": strip the dash and read the rest as a term.
        tok_.text.erase(0, 1);
        ++tok_.pos;
        --tok_.len;
      }
      Node inner;
      if (!parse_unary(inner, depth + 1)) return false;
      out = Node{};
      out.type = Node::Type::kNot;
      out.pos = op.pos;
      out.children.push_back(std::move(inner));
      return true;
    }
    return parse_primary(out, depth);
  }

  bool parse_primary(Node& out, std::size_t depth) {
    if (tok_.kind == Token::Kind::kLParen) {
      const Token open = tok_;
      if (!next()) return false;
      if (tok_.kind == Token::Kind::kRParen)
        return fail(open.pos, 2, "empty_parentheses", "empty parentheses");
      if (!parse_or(out, depth + 1)) return false;
      if (tok_.kind != Token::Kind::kRParen)
        return fail(open.pos, 1, "unclosed_paren", "this '(' is never closed");
      return next();
    }
    if (tok_.kind == Token::Kind::kQuoted) {
      if (!count_term(tok_)) return false;
      out = Node{};
      out.type = Node::Type::kText;
      out.value = tok_.text;
      out.quoted = true;
      out.pos = tok_.pos;
      out.len = tok_.len;
      return next();
    }
    if (tok_.kind != Token::Kind::kWord)
      return fail(tok_.pos, tok_.len, "unexpected", "unexpected '" + tok_.text + "'",
                  {{"text", tok_.text}});
    if (!count_term(tok_)) return false;
    const Token word = tok_;
    const std::size_t colon = word.text.find(':');
    if (colon == std::string::npos || colon == 0 || !is_field_name(word.text.substr(0, colon))) {
      out = Node{};
      out.type = Node::Type::kText;
      out.value = word.text;
      out.pos = word.pos;
      out.len = word.len;
      return next();
    }
    out = Node{};
    out.type = Node::Type::kTerm;
    out.pos = word.pos;
    for (std::size_t k = 0; k < colon; ++k)
      out.field += static_cast<char>(std::tolower(static_cast<unsigned char>(word.text[k])));
    std::string rest = word.text.substr(colon + 1);
    const std::size_t value_pos = word.pos + colon + 1;
    if (rest.empty()) {
      // The value is the next token: "quoted" or [A TO B].
      if (i_ != value_pos)
        return fail(word.pos, word.len, "no_value", "'" + out.field + ":' has no value",
                    {{"field", out.field}});
      if (!next()) return false;
      if (tok_.kind == Token::Kind::kQuoted) {
        out.value = tok_.text;
        out.quoted = true;
        out.len = tok_.pos + tok_.len - out.pos;
        return next();
      }
      if (tok_.kind == Token::Kind::kLBracket) return parse_range(out);
      return fail(word.pos, word.len, "no_value", "'" + out.field + ":' has no value",
                  {{"field", out.field}});
    }
    out.len = word.len;
    std::size_t skip = 0;
    if (rest.rfind(">=", 0) == 0) {
      out.op = Node::Op::kGe;
      skip = 2;
    } else if (rest.rfind("<=", 0) == 0) {
      out.op = Node::Op::kLe;
      skip = 2;
    } else if (rest[0] == '>') {
      out.op = Node::Op::kGt;
      skip = 1;
    } else if (rest[0] == '<') {
      out.op = Node::Op::kLt;
      skip = 1;
    }
    out.value = rest.substr(skip);
    if (out.value.empty()) {
      // field:>= "2026-11-01 10:00" reads the quoted value that follows.
      if (skip > 0 && i_ < s_.size() && s_[i_] == '"') {
        if (!next()) return false;
        out.value = tok_.text;
        out.quoted = true;
        out.len = tok_.pos + tok_.len - out.pos;
        return next();
      }
      return fail(value_pos, skip, "comparison_without_value",
                  "a comparison needs a value after it");
    }
    return next();
  }

  // After "field:" and '[': A TO B ']'.
  bool parse_range(Node& out) {
    const Token open = tok_;
    if (!next()) return false;
    auto value = [&](std::string& into) {
      if (tok_.kind != Token::Kind::kWord && tok_.kind != Token::Kind::kQuoted)
        return fail(tok_.pos, tok_.len, "range_syntax", "a range is written [A TO B]");
      into = tok_.text;
      return next();
    };
    if (!value(out.value)) return false;
    if (!is_keyword("TO"))
      return fail(tok_.pos, tok_.len, "range_syntax", "a range is written [A TO B]");
    if (!next()) return false;
    if (!value(out.value2)) return false;
    if (tok_.kind != Token::Kind::kRBracket)
      return fail(open.pos, 1, "unclosed_bracket", "this '[' is never closed");
    out.op = Node::Op::kRange;
    out.len = tok_.pos + 1 - out.pos;
    return next();
  }

  static bool is_field_name(std::string_view f) {
    for (const char c : f)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') return false;
    return true;
  }

  std::string_view s_;
  QueryError& error_;
  std::size_t i_ = 0;
  std::size_t terms_ = 0;
  Token tok_;
};

const char* op_text(Node::Op op) {
  switch (op) {
    case Node::Op::kLt:
      return "<";
    case Node::Op::kLe:
      return "<=";
    case Node::Op::kGt:
      return ">";
    case Node::Op::kGe:
      return ">=";
    default:
      return "";
  }
}

}  // namespace

bool parse_query(std::string_view text, Node& out, QueryError& error) {
  return Parser(text, error).run(out);
}

std::string to_string(const Node& n) {
  switch (n.type) {
    case Node::Type::kAnd:
    case Node::Type::kOr: {
      std::string s = "(";
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) s += n.type == Node::Type::kAnd ? " AND " : " OR ";
        s += to_string(n.children[i]);
      }
      return s + ")";
    }
    case Node::Type::kNot:
      return "NOT " + to_string(n.children[0]);
    case Node::Type::kText:
      return "text:\"" + n.value + "\"";
    case Node::Type::kTerm:
      if (n.op == Node::Op::kRange) return n.field + ":[" + n.value + " TO " + n.value2 + "]";
      return n.field + ":" + op_text(n.op) + (n.quoted ? "\"" + n.value + "\"" : n.value);
  }
  return {};
}

}  // namespace kagami::query
