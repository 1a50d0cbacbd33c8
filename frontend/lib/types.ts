/** The shapes of the LearnFlow API (triage's public routes) that the pages read. */

export type Role = "student" | "teacher" | "admin";

export interface LoginReply {
  access_token: string;
  token_type: string;
  expires_in: number;
  user_id: string;
  role: Role;
}

export interface Me {
  user_id: string;
  role: Role;
  email: string;
  display_name: string;
  expires_at: string;
}

export interface ApiProblem {
  error: string;
  message: string;
  [detail: string]: unknown;
}

// --- learning --------------------------------------------------------------------------------

export interface ChatReply {
  reply: string;
  routed_to: string;
  session_id: string;
  message_id: string;
  intent: string;
  confidence: number;
  sources: string[];
  quiz?: (QuizView | QuizOutcome) | null;
  exercise_id?: string | null;
}

export type RunStatus = "ok" | "error" | "timeout" | "memory_limit" | "output_limit" | "killed" | "rejected";

export interface RunResult {
  status: RunStatus | string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  duration_ms: number;
  truncated: boolean;
  submission_id?: string;
}

export interface HiddenTestResult {
  name: string;
  status: string;
  explanation?: string;
  message?: string | null;
}

export interface CodeReview {
  score?: number;
  comments?: string[];
  praise?: string[];
  syntax_error?: string | null;
  categories?: Record<string, { score: number; out_of: number }>;
}

export interface GradeReply {
  submission_id?: string;
  exercise_id: string;
  status: string;
  passed: boolean;
  tests_passed: number;
  tests_total: number;
  summary?: string;
  explanation?: string;
  tests: HiddenTestResult[];
  review?: CodeReview;
}

// --- progress --------------------------------------------------------------------------------

export interface TopicProgress {
  topic: string;
  module_number: number | null;
  title: string;
  label?: string;
  mastery: number;
  level: string;
  level_label?: string;
  exercise_score?: number;
  quiz_score?: number;
  code_quality_score?: number;
  streak_days?: number;
  last_activity_at?: string | null;
  started?: boolean;
}

export interface StudentProgress {
  student_id: string;
  display_name: string;
  overall_mastery: number;
  topics: TopicProgress[];
}

export interface ExerciseCard {
  exercise_id: string;
  title: string;
  topic: string;
  topic_title: string;
  difficulty: string;
  prompt: string;
  starter: string;
  source?: string;
}

export interface NextExercise {
  student_id: string;
  exercise: ExerciseCard | null;
  reason: string;
}

// --- teaching --------------------------------------------------------------------------------

export interface ClassSummary {
  id: string;
  name: string;
  teacher_id: string;
  students: number;
}

export interface ClassStudent {
  id: string;
  display_name: string;
  email: string;
  average_mastery: number;
  mastery: Record<string, number>;
  open_alerts: number;
  last_activity_at?: string | null;
}

export interface ClassTopic {
  topic: string;
  title: string;
  average_mastery: number;
  students_started: number;
}

export interface ClassOverview {
  id: string;
  name: string;
  teacher_id: string;
  teacher_name: string;
  students: ClassStudent[];
  topics: ClassTopic[];
  open_alerts: number;
}

export interface AlertView {
  id: string;
  student_id: string;
  student_name: string;
  topic: string | null;
  topic_title: string | null;
  trigger: string;
  detail: string;
  status: string;
  created_at: string;
  resolved_at?: string | null;
}

export interface StudentReport {
  student: StudentProgress;
  summary: string;
  runs: number;
  failed_runs: number;
  error_types: Record<string, number>;
  exercises_passed: string[];
  exercises_unsolved: string[];
  open_alerts: AlertView[];
}

export interface CodeAttempt {
  tests?: Array<{ name: string; status: string }>;
  tests_passed?: number | null;
  tests_total?: number | null;
  id: string;
  exercise_id: string | null;
  topic: string | null;
  code: string;
  status: string;
  passed: boolean | null;
  stdout_excerpt?: string;
  stderr_excerpt?: string;
  duration_ms?: number | null;
  error_type?: string | null;
  created_at: string;
}

export interface GeneratedExercise {
  id?: string;
  exercise_id?: string;
  title: string;
  topic?: string;
  difficulty?: string;
  prompt?: string;
  status?: string;
  failure_reason?: string | null;
}

// --- quizzes ---------------------------------------------------------------------------------

export interface QuizQuestion {
  id: string;
  number: number;
  prompt: string;
  choices: string[];
}

export interface QuizResult {
  score: number;
  total: number;
  percent: number;
  event_id: string;
}

export interface QuizView {
  quiz_id: string;
  topic: string;
  topic_title: string;
  total: number;
  answered: number;
  score: number;
  question: QuizQuestion | null;
  result: QuizResult | null;
}

export interface QuizOutcome {
  quiz_id: string;
  question_id: string;
  choice: number;
  correct: boolean;
  correct_choice: number;
  explanation: string;
  answered: number;
  total: number;
  score: number;
  next_question: QuizQuestion | null;
  result: QuizResult | null;
}

export interface ChatHistory {
  session_id: string | null;
  turns: Array<{ message: string; at: string; reply: ChatReply }>;
}

export interface Draft {
  exercise_id: string;
  code: string | null;
  updated_at: string | null;
}

// --- notifications and assignments ----------------------------------------------------------

export interface NotificationItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  created_at: string;
  read_at: string | null;
}

export interface NotificationList {
  unread: number;
  items: NotificationItem[];
}

export interface MyAssignment {
  assignment_id: string;
  exercise_id: string;
  title: string;
  topic_title: string;
  difficulty: string;
  assigned_by: string;
  assigned_at: string;
  due_at: string | null;
  done: boolean;
}

export interface ClassAssignment {
  assignment_id: string;
  exercise_id: string;
  title: string;
  topic: string;
  whole_class: boolean;
  due_at: string | null;
  assigned_at: string;
  assigned_by: string;
  students: Array<{ id: string; display_name: string; done: boolean }>;
}

export interface TeacherExercise {
  exercise_id: string;
  class_id: string | null;
  exercise_status: string;
  step?: string | null;
  runtime_status?: string | null;
  reason?: string | null;
  validation?: {
    ok: boolean;
    reason?: string | null;
    reference_status?: string | null;
    starter_status?: string | null;
    tests_total?: number;
    repeatable?: boolean | null;
  } | null;
  title: string;
  topic: string;
  difficulty: string;
  prompt: string;
  starter: string;
  tests: string;
  solution: string;
  hints: Array<Record<string, string>>;
  review: string;
}

export interface GenerateReply {
  topic: string;
  module: string;
  difficulty: string;
  count: number;
  exercises: TeacherExercise[];
}
